"""hotlist"""
